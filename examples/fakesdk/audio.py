"""Audio input: the ``audio`` module of the fake SDK."""


class AudioStreamFormat:
    def __init__(self, samples_per_second=16000, bits_per_sample=16, channels=1):
        self.samples_per_second = samples_per_second
        self.bits_per_sample = bits_per_sample
        self.channels = channels

    @property
    def bytes_per_second(self):
        return self.samples_per_second * self.bits_per_sample // 8 * self.channels


class PushAudioInputStream:
    """Audio the application pushes; buffered until the recognizer reads it."""

    def __init__(self, stream_format=None):
        self.format = stream_format or AudioStreamFormat()
        self._buffer = bytearray()
        self._closed = False

    def write(self, data):
        if self._closed:
            raise ValueError("write to a closed audio stream")
        self._buffer += data

    def close(self):
        self._closed = True

    def read_all(self):
        return bytes(self._buffer)


class AudioConfig:
    def __init__(self, stream=None, filename=None, use_default_microphone=False):
        if stream is None and filename is None:
            raise ValueError("the fake SDK needs a stream or a filename")
        if filename is not None:
            stream = PushAudioInputStream()
            with open(filename, "rb") as f:
                stream.write(f.read())
            stream.close()
        self.stream = stream
