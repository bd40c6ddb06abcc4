"""Conversation transcription: the ``transcription`` module of the fake SDK."""

from fakesdk import _native
from fakesdk.speech import (
    CancellationDetails,
    CancellationReason,
    EventSignal,
    ResultFuture,
    ResultReason,
    SessionEventArgs,
    SpeechRecognitionCanceledEventArgs,
    SpeechRecognitionEventArgs,
    SpeechRecognitionResult,
    new_session_id,
)

# The real recognizer keeps decoder and network buffers per instance; this one
# keeps a Python bytearray of the same order, so a leaked transcriber shows in
# retained bytes, not just in counts.
DECODER_BUFFER_BYTES = 256 * 1024

# Fake "speech": each 0.5 s of audio becomes one recognized phrase.
_WORDS = ("hello", "thanks", "for", "calling", "the", "meeting", "starts", "at",
          "nine", "please", "send", "notes", "today", "okay", "great", "bye")


class ConversationTranscriptionResult(SpeechRecognitionResult):
    def __init__(self, result_id, reason, text, offset, duration, speaker_id):
        super().__init__(result_id, reason, text, offset, duration)
        self.speaker_id = speaker_id


class ConversationTranscriptionEventArgs(SpeechRecognitionEventArgs):
    pass


class ConversationTranscriber:
    """Transcribes a conversation with speaker ids.

    Lifecycle as in the real SDK: connect callbacks to the signals,
    ``start_transcribing_async().get()``, wait for ``session_stopped``, then
    ``stop_transcribing_async().get()``. Stopping is what makes the native core
    drop the connected callbacks; a transcriber that is never stopped keeps
    them, and whatever they are bound to, for the life of the process.
    """

    def __init__(self, speech_config, audio_config=None, language=None):
        if speech_config is None:
            raise ValueError("speech_config is required")
        self._speech_config = speech_config
        self._audio_config = audio_config
        self._language = language or speech_config.speech_recognition_language
        self._handle = _native.create_handle("ConversationTranscriber")
        self._decoder_buffer = bytearray(DECODER_BUFFER_BYTES)
        self._session_id = None
        self._running = False
        self.session_started = EventSignal(self._handle, "session_started")
        self.session_stopped = EventSignal(self._handle, "session_stopped")
        self.speech_start_detected = EventSignal(self._handle, "speech_start_detected")
        self.speech_end_detected = EventSignal(self._handle, "speech_end_detected")
        self.transcribing = EventSignal(self._handle, "transcribing")
        self.transcribed = EventSignal(self._handle, "transcribed")
        self.canceled = EventSignal(self._handle, "canceled")

    @property
    def properties(self):
        return self._speech_config._properties

    def start_transcribing_async(self):
        return ResultFuture(self._run)

    def stop_transcribing_async(self):
        return ResultFuture(self._stop)

    def _run(self):
        # The native core would stream audio to the service and raise events
        # from its own thread; the fake raises them in order, synchronously.
        if self._running:
            raise RuntimeError("transcription already started")
        self._running = True
        sid = self._session_id = new_session_id()
        h = self._handle
        _native.fire(h, "session_started", SessionEventArgs(sid))
        stream = self._audio_config.stream if self._audio_config else None
        audio = stream.read_all() if stream is not None else b""
        if not audio:
            details = CancellationDetails(CancellationReason.Error, "no audio")
            result = SpeechRecognitionResult("0", ResultReason.Canceled, "", 0, 0)
            _native.fire(h, "canceled", SpeechRecognitionCanceledEventArgs(sid, result, details))
        else:
            step = max(1, stream.format.bytes_per_second // 2)
            for n, start in enumerate(range(0, len(audio), step)):
                chunk = audio[start:start + step]
                words = [_WORDS[b % len(_WORDS)] for b in chunk[:4]]
                ticks = 10_000_000 * len(chunk) // stream.format.bytes_per_second
                result = ConversationTranscriptionResult(
                    f"{sid}-{n}", ResultReason.RecognizedSpeech, " ".join(words),
                    5_000_000 * n, ticks, f"Guest-{n % 2 + 1}")
                _native.fire(h, "transcribed", ConversationTranscriptionEventArgs(sid, result))
        _native.fire(h, "session_stopped", SessionEventArgs(sid))

    def _stop(self):
        self._running = False
        _native.release_handle(self._handle)
