"""The FastAPI application."""

from fastapi import FastAPI, HTTPException, Query, Request

from stt_service import settings as settings_mod
from stt_service.service import SpeechToTextService, TranscriptionError


def create_app(settings=None):
    settings = settings or settings_mod.from_env()
    service = SpeechToTextService(settings)
    app = FastAPI(title="stt_service (whyalive example)", docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.settings = settings
    app.state.service = service

    @app.get("/healthz")
    async def healthz():
        return {"status": "ok", "leak_route": settings.leak,
                "debug_endpoints": settings.debug_enabled}

    @app.post("/transcriptions")
    async def create_transcription(request: Request,
                                   language: str = Query("en-US", max_length=16)):
        audio = await request.body()
        if not audio:
            raise HTTPException(400, "empty audio payload")
        if len(audio) > settings.max_audio_bytes:
            raise HTTPException(413, f"audio payload over {settings.max_audio_bytes} bytes")
        try:
            return service.transcribe(audio, language)
        except TranscriptionError as e:
            raise HTTPException(422, f"transcription failed: {e}") from None

    @app.on_event("shutdown")
    def stop_sessions():
        service.shutdown()

    if settings.debug_enabled:
        from stt_service.debug import make_router
        app.include_router(make_router(settings))
    return app
