"""How source systems publish change events to the hub: the SDK, and the simulator of the ministries."""

from producers.sdk import DeliveryPolicy, DeliveryReport, HubProducer
from producers.spool import SpoolError, SpoolLocked
from producers.validation import FieldError, RecordInvalid

__all__ = ["DeliveryPolicy", "DeliveryReport", "FieldError", "HubProducer", "RecordInvalid", "SpoolError",
           "SpoolLocked"]
