"""Reincarnation detection: accounts that continue banned ones, and watch-list matches.

Pure parts: `features` (nickname keys, avatars, identity and follower sets), `linking` (batch
account linking on the generic Fellegi–Sunter engine), `evidence` (findings), `watchlist`.
`detectors` wires them to the scan; `services.registration` serves the real-time check.
"""
