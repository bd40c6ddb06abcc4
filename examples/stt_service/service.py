"""The transcription service: one SDK transcriber per request.

The SDK is the bundled stand-in (``fakesdk``) or, with ``STT_SDK=azure``, the
real Azure Speech SDK (offline: placeholder key and region, so every session
is cancelled with a connection error, as in production when the service is
unreachable). Each leak route below is one missing line of cleanup, the two
mistakes the seed's service could make:

* ``native``: ``stop_transcribing_async()`` and ``disconnect_all()`` are never
  called. The SDK's native core keeps the three connected bound methods; each
  holds the handler (``__self__``), which holds the transcriber, its config,
  its audio and its decoder buffer. No Python object refers to any of them, so
  ``gc.get_referrers`` finds nothing: only the refcount excess tells.
* ``python``: the cleanup runs, but the session registered in
  ``_active_sessions`` (so that shutdown can stop live transcribers) is never
  removed.
* ``none``: both done; nothing outlives the request.
"""

import os
import tempfile
import time
import uuid
import wave

from stt_service.settings import SDK

if SDK == "azure":  # the real Azure Speech SDK (pip install whyalive[azure])
    import azure.cognitiveservices.speech as speechsdk
else:  # the bundled stand-in (examples/fakesdk)
    import fakesdk as speechsdk

# How long a request waits for the SDK's session_stopped or canceled event
# (the real SDK signals from its own threads after start_transcribing_async).
SESSION_TIMEOUT = 60.0

# Live sessions by request id, so that shutdown can stop whatever is still
# running. Route "python" forgets to remove entries.
_active_sessions = {}


class TranscriptionHandler:
    """Receives the SDK's events for one request (its bound methods are the
    callbacks connected to the transcriber's signals)."""

    def __init__(self, request_id, transcriber):
        self.request_id = request_id
        self.transcriber = transcriber
        self.segments = []
        self.stopped = False
        self.error = None

    def on_transcribed(self, evt):
        r = evt.result
        self.segments.append({
            "speaker": r.speaker_id,
            "text": r.text,
            "offset_ms": r.offset // 10_000,
            "duration_ms": r.duration // 10_000,
        })

    def on_session_stopped(self, evt):
        self.stopped = True

    def on_canceled(self, evt):
        self.error = evt.cancellation_details.error_details
        self.stopped = True


class TranscriptionSession:
    def __init__(self, request_id, transcriber, handler):
        self.request_id = request_id
        self.transcriber = transcriber
        self.handler = handler
        self.created = time.time()


class TranscriptionError(Exception):
    pass


class SpeechToTextService:
    def __init__(self, settings):
        self.settings = settings
        # the real SDK reads the request's audio from a WAV file (private dir)
        self.audio_dir = tempfile.mkdtemp(prefix="stt-audio-") if SDK == "azure" else None

    def _audio_config(self, request_id, audio):
        if SDK != "azure":
            stream = speechsdk.audio.PushAudioInputStream(
                speechsdk.audio.AudioStreamFormat(16000, 16, 1))
            stream.write(audio)
            stream.close()
            return speechsdk.audio.AudioConfig(stream=stream), None
        # 16 kHz, 16-bit mono WAV, as a client would upload
        path = os.path.join(self.audio_dir, f"{request_id}.wav")
        with wave.open(path, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(16000)
            w.writeframes(audio[:len(audio) & ~1])
        return speechsdk.audio.AudioConfig(filename=path), path

    def transcribe(self, audio, language="en-US"):
        # A trace id per request, as the seed's service logs them.
        request_id = uuid.uuid4().hex
        config = speechsdk.SpeechConfig(subscription=self.settings.speech_key,
                                        region=self.settings.speech_region)
        config.speech_recognition_language = language
        audio_config, wav = self._audio_config(request_id, audio)
        transcriber = speechsdk.transcription.ConversationTranscriber(
            speech_config=config, audio_config=audio_config)
        handler = TranscriptionHandler(request_id, transcriber)
        transcriber.transcribed.connect(handler.on_transcribed)
        transcriber.session_stopped.connect(handler.on_session_stopped)
        transcriber.canceled.connect(handler.on_canceled)
        _active_sessions[request_id] = TranscriptionSession(request_id, transcriber, handler)
        leak = self.settings.leak
        try:
            started = time.perf_counter()
            transcriber.start_transcribing_async().get()
            # The fake signals before get() returns; the real SDK from its threads.
            deadline = time.monotonic() + SESSION_TIMEOUT
            while not handler.stopped and time.monotonic() < deadline:
                time.sleep(0.01)
            if not handler.stopped:
                raise TranscriptionError("the session did not stop")
            if handler.error:
                raise TranscriptionError(handler.error)
            return {
                "id": request_id,
                "text": " ".join(s["text"] for s in handler.segments),
                "segments": handler.segments,
                "language": language,
                "processing_ms": round((time.perf_counter() - started) * 1000, 3),
                "leak_route": leak,
            }
        finally:
            if leak != "native":
                transcriber.stop_transcribing_async().get()
                for signal in (transcriber.transcribed, transcriber.session_stopped,
                               transcriber.canceled):
                    signal.disconnect_all()
            if leak != "python":
                _active_sessions.pop(request_id, None)
            if wav:
                os.unlink(wav)

    def shutdown(self):
        while _active_sessions:
            _, session = _active_sessions.popitem()
            session.transcriber.stop_transcribing_async().get()
