"""Results intake (seed 002): Excel templates pre-populated with a school's pupils, validation with precise
messages, and an upload history where the latest valid upload wins."""
