"""Importing a listener's Spotify data download ("Download your data").

``archive`` opens an upload (a ZIP or loose JSON files) safely and lists the Spotify files in it;
``formats`` reads each file record by record, keeping only what we use; ``matching`` finds the
tracks and artists in our catalog; ``services`` writes plays, library and playlists as a worker
task runs; ``selectors`` reads the import's progress and what recall and ranking use of it.
"""
