"""The transport adapter that routes plexapi's plex.tv calls to the emulator (see adapters/plex_transport).

    session = requests.Session()
    mount_plex_tv(session, emulator.url)     # or: session = emulator.session()
"""

from cacherr.adapters.plex_transport import PLEX_TV_HOSTS, PlexTvRedirect, mount_plex_tv

__all__ = ["PLEX_TV_HOSTS", "PlexTvRedirect", "mount_plex_tv"]
