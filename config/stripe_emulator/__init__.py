"""localstripe, the stateful Stripe emulator, with what of the real API billing relies on added around it
(localstripe 1.15 runs unchanged on Python 3.13). Self-contained on purpose, it imports none of the app's
packages: `make run` and the tests run it from config/ as `python -m stripe_emulator --port N --data FILE`,
and compose's `localstripe` service in its own container."""
