"""Configuration, events and results: the ``speech`` module of the fake SDK."""

import enum
import itertools

from fakesdk import _native


class PropertyId(enum.Enum):
    SpeechServiceConnection_Key = 1000
    SpeechServiceConnection_Region = 1002
    SpeechServiceConnection_RecoLanguage = 3001
    SpeechServiceResponse_RequestWordLevelTimestamps = 11007


class ResultReason(enum.Enum):
    NoMatch = 0
    Canceled = 1
    RecognizingSpeech = 2
    RecognizedSpeech = 3


class CancellationReason(enum.Enum):
    Error = 1
    EndOfStream = 2


class SpeechConfig:
    """Subscription, region and recognition options.

    Holds a native handle, as the real class does; the key stays in Python
    memory, which is why whyalive dumps carry no string values by default.
    """

    def __init__(self, subscription=None, region=None, endpoint=None):
        if not (subscription and (region or endpoint)):
            raise ValueError("subscription and region (or endpoint) are required")
        self._handle = _native.create_handle("SpeechConfig")
        self._properties = {
            PropertyId.SpeechServiceConnection_Key: subscription,
            PropertyId.SpeechServiceConnection_Region: region or "",
            PropertyId.SpeechServiceConnection_RecoLanguage: "en-US",
        }
        self.endpoint = endpoint

    @property
    def speech_recognition_language(self):
        return self._properties[PropertyId.SpeechServiceConnection_RecoLanguage]

    @speech_recognition_language.setter
    def speech_recognition_language(self, language):
        self._properties[PropertyId.SpeechServiceConnection_RecoLanguage] = language

    def set_property(self, property_id, value):
        self._properties[property_id] = value

    def get_property(self, property_id):
        return self._properties.get(property_id, "")


class EventSignal:
    """One event of a recognizer. ``connect`` hands the callback to the native
    core, which keeps a strong reference to it until ``disconnect_all`` or the
    recognizer's stop; nothing on the Python side remembers it."""

    def __init__(self, handle, name):
        self._handle = handle
        self._name = name

    def connect(self, callback):
        _native.connect(self._handle, self._name, callback)

    def disconnect_all(self):
        _native.disconnect(self._handle, self._name)

    def __repr__(self):
        return f"<EventSignal {self._name} of handle {self._handle}>"


class ResultFuture:
    """What the ``*_async`` methods return; ``get()`` waits for the result.

    The fake runs the operation on ``get()`` (once), so the example stays
    deterministic and needs no thread."""

    _PENDING = object()

    def __init__(self, operation):
        self._operation = operation
        self._result = self._PENDING

    def get(self):
        if self._result is self._PENDING:
            self._result = self._operation()
            self._operation = None
        return self._result


_session_ids = itertools.count(1)


def new_session_id():
    return f"{next(_session_ids):032x}"


class SessionEventArgs:
    def __init__(self, session_id):
        self.session_id = session_id


class SpeechRecognitionResult:
    def __init__(self, result_id, reason, text, offset, duration):
        self.result_id = result_id
        self.reason = reason
        self.text = text
        self.offset = offset
        self.duration = duration


class SpeechRecognitionEventArgs(SessionEventArgs):
    def __init__(self, session_id, result):
        super().__init__(session_id)
        self.result = result


class CancellationDetails:
    def __init__(self, reason, error_details=""):
        self.reason = reason
        self.error_details = error_details


class SpeechRecognitionCanceledEventArgs(SpeechRecognitionEventArgs):
    def __init__(self, session_id, result, details):
        super().__init__(session_id, result)
        self.cancellation_details = details
