"""The seed's ``Driver`` and Apache Hamilton's ``Builder``, over the same graph and engine the
notebook uses: ``from hamilton_nb import driver; driver.Driver(config, *modules)``."""
from .builder import Builder
from .facade import Driver

__all__ = ["Builder", "Driver"]
