"""stt_service: the example speech-to-text service that leaks transcribers.

A small FastAPI app shaped like the service of the seed guide: ``POST
/transcriptions`` builds a ``SpeechConfig`` and a ``ConversationTranscriber``
from the vendor SDK (here :mod:`fakesdk`), connects callbacks, returns the
transcript, and, depending on ``STT_LEAK``, forgets part of the cleanup:

* ``native`` (default): never stops the transcriber, so the SDK's native core
  keeps the connected callbacks, and through them the handler and the
  transcriber, forever. Python sees no referrer at all.
* ``python``: stops and disconnects, but never removes the session from the
  module-level ``_active_sessions`` dict.
* ``none``: the fixed service; nothing survives a request.

Run it with ``python3 -m stt_service`` (binds 127.0.0.1 only).
"""
