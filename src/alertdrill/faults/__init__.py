"""Fault injectors: a protocol, a registry fed by entry points, and the built-in injectors.

Add your own by exposing a class in the `alertdrill.injectors` entry-point group:

    [project.entry-points."alertdrill.injectors"]
    my-fault = "my_package.faults:MyFault"

The class is built with `MyFault.from_config(fault, context)` and must offer `inject()`,
`revert()` and `describe()`. `from_config` validates options and has no side effects.
"""

from alertdrill.faults.base import Injector, InjectorContext, InjectorFactory
from alertdrill.faults.registry import InjectorRegistry

__all__ = ["Injector", "InjectorContext", "InjectorFactory", "InjectorRegistry"]
