"""fakesdk: a stand-in for the Azure Speech SDK (``azure.cognitiveservices.speech``).

Shaped like the real package so that heap dumps and type names read the same
way (``fakesdk.speech.SpeechConfig``, ``fakesdk.transcription.ConversationTranscriber``),
and with the real SDK's ownership rule: the callbacks connected to a
recognizer's signals are held by the native core (:mod:`fakesdk._native`)
until the recognizer is stopped or the signal disconnected.

It talks to no service: "recognition" turns the pushed audio bytes into a
deterministic fake transcript.
"""

from fakesdk import audio, transcription
from fakesdk.speech import (
    CancellationReason,
    EventSignal,
    PropertyId,
    ResultFuture,
    ResultReason,
    SessionEventArgs,
    SpeechConfig,
    SpeechRecognitionCanceledEventArgs,
    SpeechRecognitionEventArgs,
    SpeechRecognitionResult,
)

__all__ = [
    "audio",
    "transcription",
    "CancellationReason",
    "EventSignal",
    "PropertyId",
    "ResultFuture",
    "ResultReason",
    "SessionEventArgs",
    "SpeechConfig",
    "SpeechRecognitionCanceledEventArgs",
    "SpeechRecognitionEventArgs",
    "SpeechRecognitionResult",
]

__version__ = "1.0.0"
