"""How source systems publish change events to the hub: the SDK, and the simulator of the ministries."""

from producers.sdk import DeliveryReport, HubProducer

__all__ = ["DeliveryReport", "HubProducer"]
