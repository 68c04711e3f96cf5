from __future__ import annotations

from recommender.evaluation.lastfm import artist_name_key, lastfm_read


def test_artist_names_match_across_accents_case_punctuation_and_a_leading_the():
    assert artist_name_key("Beyoncé") == artist_name_key("beyonce")
    assert artist_name_key("The Killers") == artist_name_key("Killers")
    assert artist_name_key("Earth, Wind & Fire") == artist_name_key("earth wind and fire")
    assert artist_name_key("Muse") != artist_name_key("Mused")


def test_it_reads_lastfm_files_keeping_only_artists_in_the_catalog(tmp_path):
    (tmp_path / "artists.dat").write_text(
        "id\tname\turl\tpictureURL\n1\tBeyoncé\tu\tp\n2\tNobody Here\tu\tp\n3\tThe Killers\tu\tp\n"
    )
    (tmp_path / "user_artists.dat").write_text(
        "userID\tartistID\tweight\n7\t1\t10\n7\t3\t50\n7\t2\t99\n8\t2\t5\n"
    )

    data = lastfm_read(tmp_path, catalog_artists={10: "Beyonce", 11: "Killers"})

    assert data.users == {7: [(11, 50), (10, 10)]}
    assert (data.lastfm_artists, data.matched_artists, data.lastfm_users) == (3, 2, 2)
