"""One module per wire protocol: native now; ListenBrainz, Last.fm and Spotify-shaped ones later."""
