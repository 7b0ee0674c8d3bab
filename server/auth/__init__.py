"""Authentication: passwords (argon2id + digest HA1), HTTP Digest/Basic, app-user tokens."""
