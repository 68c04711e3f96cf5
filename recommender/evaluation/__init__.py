"""Offline evaluation of the recommender: pure metrics, and runners that ask the real recall
and ranker about throwaway listeners built from held-out data (``manage.py eval_recommender``).

Each case (one playlist, one mood, one Last.fm user) runs inside its own transaction that is
rolled back afterwards, so the throwaway user, their history and candidates, any ranking-weights
row and the leak guard's playlist edits all vanish with it. Baselines are computed from the
same catalog snapshot and excluded history as our ranker, so every row answers the same question.

Nothing here tunes anything: the ranker runs with the weights in force (plus one documented,
generous-pool variant), and the held-out tracks and artists are only ever read to score.

Modules, by concern: ``metrics`` (ranking metrics and the hold-out split), ``regions`` (mood fit
in the valence/energy square), ``catalog`` (the catalog snapshot and its baselines), ``sandbox``
(rolled-back cases, throwaway listeners), ``methods`` (our ranker and recall's order),
``continuation``, ``moods`` and ``lastfm`` (the runners), ``report`` (the command's tables).
"""
