"""Settings from the environment, read once at startup."""

import os
import tempfile
from dataclasses import dataclass, field

LEAK_ROUTES = ("native", "python", "none")

# Below this length a token is guessable; refusing to start beats exposing a
# heap dump endpoint behind "test".
MIN_TOKEN_LENGTH = 16

# The vendor SDK: STT_SDK=fake (default: the bundled stand-in, examples/fakesdk)
# or azure (the real azure-cognitiveservices-speech, pip extra whyalive[azure]).
# Read at import: it decides which package stt_service.sdk imports.
SDKS = {"fake": "fakesdk", "azure": "azure.cognitiveservices.speech"}
SDK = os.environ.get("STT_SDK", "fake").strip().lower()

# Types the debug endpoints and /metrics report by name (module-qualified, as
# whyalive names them).
SDK_MODULE = SDKS.get(SDK, "fakesdk")
WATCHED_TYPES = (
    f"{SDK_MODULE}.transcription.ConversationTranscriber",
    f"{SDK_MODULE}.speech.SpeechConfig",
    "stt_service.service.TranscriptionHandler",
    "stt_service.service.TranscriptionSession",
)


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    leak: str = "native"
    sdk: str = "fake"
    speech_key: str = "demo-key-not-a-secret"
    speech_region: str = "westeurope"
    max_audio_bytes: int = 1 << 20
    debug_token: str = field(default="", repr=False)
    dump_dir: str = ""

    @property
    def debug_enabled(self):
        return bool(self.debug_token)


def from_env(env=None):
    env = os.environ if env is None else env
    sdk = env.get("STT_SDK", "fake").strip().lower()
    if sdk not in SDKS:
        raise SettingsError(f"STT_SDK must be one of {', '.join(SDKS)}, not {sdk!r}")
    leak = env.get("STT_LEAK", "native").strip().lower()
    if leak not in LEAK_ROUTES:
        raise SettingsError(f"STT_LEAK must be one of {', '.join(LEAK_ROUTES)}, not {leak!r}")
    token = env.get("WHYALIVE_DEBUG_TOKEN", "")
    if token and len(token) < MIN_TOKEN_LENGTH:
        raise SettingsError(
            f"WHYALIVE_DEBUG_TOKEN must be at least {MIN_TOKEN_LENGTH} characters "
            "(e.g. `openssl rand -hex 16`)")
    dump_dir = env.get("WHYALIVE_DUMP_DIR", "")
    if token and not dump_dir:
        # A private directory (mode 0700, unique name) rather than a fixed
        # path in a shared /tmp that another user could pre-create.
        dump_dir = tempfile.mkdtemp(prefix="stt-heap-dumps-")
    try:
        max_audio = int(env.get("STT_MAX_AUDIO_BYTES", str(1 << 20)))
    except ValueError:
        raise SettingsError("STT_MAX_AUDIO_BYTES must be an integer") from None
    return Settings(
        sdk=sdk,
        leak=leak,
        speech_key=env.get("SPEECH_KEY", Settings.speech_key),
        speech_region=env.get("SPEECH_REGION", Settings.speech_region),
        max_audio_bytes=max_audio,
        debug_token=token,
        dump_dir=dump_dir,
    )
