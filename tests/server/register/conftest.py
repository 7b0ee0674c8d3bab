from tests.server.register.world import api, world  # noqa: F401
