"""Messages to people through Apprise URLs (contact groups' `notify`), secrets kept out of logs."""

from alertdrill.publish.notifiers.send import Delivery, redact, send

__all__ = ["Delivery", "redact", "send"]
