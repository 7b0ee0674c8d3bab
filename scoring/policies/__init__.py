"""Policy data files (TOML), one per region code prefix; read by scoring.policy."""
