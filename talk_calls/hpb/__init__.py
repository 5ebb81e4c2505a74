"""The High-Performance Backend (external signaling, talk-signaling.md section C).

``servers`` picks the signaling server of a room from ``TALK_CALLS``; ``checksum`` signs and
verifies the requests between the app and the servers; ``backend`` answers the servers'
``auth`` / ``room`` / ``ping`` requests; ``notifier`` tells the servers about changes after
commit, from a bounded background sender; ``config`` renders configuration files for the
signaling server, Janus and coturn.
"""
