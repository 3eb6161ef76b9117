"""Each mechanism's lifecycle in a deal made by ``copact new``, driven on the command line and
over the JSON API (tests/test_structures_e2e.py runs them): one module per mechanism, each
with a ``lifecycle(run)`` that takes a :class:`~tests.lifecycles.common.Run`."""
