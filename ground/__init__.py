"""The ground: the outbox, the commune, the school calendar, admin building blocks and small
shared helpers. Every app may import it; it imports no app (tests/test_architecture.py)."""
