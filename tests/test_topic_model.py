"""The shipped topic model is the fit of the judged set and today's phrases.

``searchapp/data/topic_model.toml`` is fitted by ``bench/topics_fit.py`` on
``bench/sets/topics.jsonl``; a phrase or threshold changed in ``topics.toml``
without a refit would leave the engine weighing evidence it was not fitted on.
"""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import REPO, SHARED


def test_the_shipped_topic_model_is_the_fit_of_the_judged_set(corpus_real) -> None:
    env = {**os.environ, "SEARCHAPP_SHARED": str(SHARED)}
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "topics_fit.py"), "--verify"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _topics_fit():
    sys.path[:0] = [str(REPO / "bench")]
    try:
        import topics_fit
    finally:
        del sys.path[0]
    return topics_fit


def test_the_threshold_is_the_lowest_that_keeps_precision_at_the_floor(monkeypatch) -> None:
    import numpy as np

    fit = _topics_fit()
    # Ten articles, one pair each: the five likeliest are right, then one
    # wrong, one right, and three wrong at the bottom.
    probability = np.array([0.9, 0.85, 0.8, 0.75, 0.7, 0.62, 0.58, 0.4, 0.35, 0.31])
    labels = np.array([1, 1, 1, 1, 1, 0, 1, 0, 0, 0])
    examples = fit.Examples(
        ids=[f"a{n}" for n in range(10)],
        splits=np.array(["tune"] * 10),
        topics=np.zeros(10, int),
        features=np.zeros((10, 1)),
        labels=labels,
    )
    monkeypatch.setattr(fit, "left_out_probabilities", lambda examples, rows: probability)
    monkeypatch.setattr(fit, "PRECISION_FLOOR", 0.85)
    # Above 0.4 the top seven are kept, six of them right (0.857); at 0.4
    # or below a wrong one joins them.
    assert fit.choose_threshold(examples, np.ones(10, bool)) == 0.425
    monkeypatch.setattr(fit, "PRECISION_FLOOR", 0.99)
    assert fit.choose_threshold(examples, np.ones(10, bool)) == 0.625


def test_the_pair_weights_are_added_for_the_pair_topic_only() -> None:
    from searchapp.corpus.extract.topics import _TopicModel

    model = _TopicModel(
        weights=(1.0, 0.0),
        pair_weights=(0.0, 2.0),
        pair_slugs=frozenset({"ngoai-giao-song-phuong"}),
        bias={"ngoai-giao-song-phuong": 0.0, "asean": 0.0},
        threshold=0.5,
    )
    assert model.probability("asean", [0.0, 1.0]) == 0.5
    assert model.probability("ngoai-giao-song-phuong", [0.0, 1.0]) > 0.85
    assert model.probability("asean", [1.0, 0.0]) == model.probability("ngoai-giao-song-phuong", [1.0, 0.0])


def test_a_main_partner_tied_to_another_topic_is_read_for_every_other_topic() -> None:
    from searchapp.corpus.extract.topics import TOPIC_FEATURES, topic_features

    title = "Hàn Quốc và Mỹ bàn cách đối phó Triều Tiên"
    body = "Triều Tiên phóng tên lửa. Hàn Quốc và Mỹ điện đàm về Triều Tiên. Triều Tiên bác bỏ."
    column = TOPIC_FEATURES.index("mainly about a partner of another topic")
    features = dict(topic_features(title, body))
    # North Korea is the peninsula's partner: for that topic it is its own.
    assert features["ban-dao-trieu-tien"][column] == 0.0
    assert features["ngoai-giao-song-phuong"][column] == 1.0
    assert dict(topic_features("Giá rau tăng", "Rau muống tăng giá."))["asean"][column] == 0.0


def test_the_weak_topics_have_phrases_from_their_descriptions() -> None:
    from searchapp.corpus.extract.topics import topic_features

    # Arms sent to a war, a central bank's inflation, a leader sworn in abroad:
    # each the kind of article its topic's description names.
    cases = {
        "an-ninh-quoc-phong": "Mỹ công bố gói viện trợ quân sự mới gồm đạn dược và pháo binh.",
        "kinh-te-the-gioi": "IMF hạ dự báo tăng trưởng khi lạm phát và giá dầu mỏ tăng.",
        "bau-cu-chinh-tri": "Tổng thống lâm thời tuyên thệ nhậm chức giữa khủng hoảng chính trị.",
    }
    for slug, body in cases.items():
        evidence = dict(topic_features("Tin trong ngày", body))[slug][0]
        assert evidence > 0.5, slug


def test_a_vietnamese_leader_in_the_title_is_told_by_office_and_surname() -> None:
    from searchapp.corpus.extract.topics import TOPIC_FEATURES, topic_features

    column = TOPIC_FEATURES.index("a Vietnamese leader in the title")
    body = "Hai bên trao đổi về hợp tác kinh tế với Nhật Bản."

    def leader(title: str) -> float:
        return dict(topic_features(title, body))["ngoai-giao-song-phuong"][column]

    assert leader("Thủ tướng Nguyễn Xuân Phúc thăm chính thức Nhật Bản") == 1.0
    assert leader("Chủ tịch nước tiếp Đại sứ Nhật Bản") == 1.0
    # A foreign holder of the same office is not Vietnam's leader.
    assert leader("Thủ tướng Nhật Bản thăm Ấn Độ") == 0.0
    assert leader("Thủ tướng Lý Hiển Long thăm Nhật Bản") == 0.0
    # Read for the pair topic only.
    assert dict(topic_features("Thủ tướng Nguyễn Xuân Phúc thăm Nhật Bản", body))["asean"][column] == 0.0


def test_weather_sea_areas_and_crowds_are_not_evidence() -> None:
    from searchapp.corpus.extract.topics import topic_features

    def evidence(body: str, slug: str) -> float:
        return dict(topic_features("Tin trong ngày", body))[slug][0]

    # A forecast's sea areas name the South China Sea without being about it.
    assert evidence("Khu vực giữa và Nam Biển Đông có mưa rào và dông.", "bien-dong") == 0.0
    assert evidence("Trung Quốc xây đảo nhân tạo ở Biển Đông.", "bien-dong") > 0.0
    # "tập trung đông người" holds "trung đông" across two words.
    assert evidence("Hạn chế tập trung đông người để phòng dịch.", "trung-dong") == 0.0
    assert evidence("Căng thẳng ở Trung Đông leo thang.", "trung-dong") > 0.0


def test_bilateral_relations_need_a_foreign_country_among_the_main_partners() -> None:
    from searchapp.corpus.extract.topics import closed_topics, extract_topics

    # Talks with Interpol alone, or Vietnam's own affairs, are not between two countries.
    talks = "Bộ trưởng hội đàm với Tổng Thư ký Interpol. Hai bên ký kết bản ghi nhớ hợp tác."
    assert "ngoai-giao-song-phuong" in closed_topics("Bộ Công an hội đàm với Interpol", talks)
    assert "ngoai-giao-song-phuong" not in extract_topics("Bộ Công an hội đàm với Interpol", talks)
    assert (
        closed_topics("Thủ tướng hội đàm với Thủ tướng Nhật Bản", talks.replace("Interpol", "Nhật Bản")) == frozenset()
    )


def test_words_weighted_1_are_told_from_the_words_that_name_a_topic() -> None:
    from searchapp.corpus.extract.topics import TOPIC_FEATURES, topic_features

    column = TOPIC_FEATURES.index("share of the body evidence from words weighted 1")

    def weak_share(body: str) -> float:
        return dict(topic_features("Tin trong ngày", body))["thuong-mai-dau-tu"][column]

    # "doanh nghiệp" and "thị trường" go with trade without naming it.
    assert weak_share("Doanh nghiệp mở rộng thị trường trong nước.") == 1.0
    assert weak_share("Hai nước ký hiệp định thương mại tự do.") == 0.0
    assert 0.0 < weak_share("Doanh nghiệp tăng xuất khẩu.") < 1.0
    # No evidence at all is no share.
    assert weak_share("Trời mưa to.") == 0.0


def test_a_topic_told_abroad_reads_an_article_with_no_main_partner() -> None:
    from searchapp.corpus.extract.topics import TOPIC_FEATURES, _topics, topic_features

    column = TOPIC_FEATURES.index("no main partner, for a topic told abroad")
    abroad = {t.slug for t in _topics() if t.abroad}
    assert abroad == {"thuong-mai-dau-tu", "kinh-te-the-gioi", "bau-cu-chinh-tri"}
    # Vietnam's own economy: no country, no organisation is a main partner.
    domestic = dict(topic_features("Chính phủ quyết tâm đạt chỉ tiêu tăng trưởng", "Doanh nghiệp trong nước đầu tư."))
    assert all(domestic[slug][column] == 1.0 for slug in abroad)
    assert domestic["covid-y-te"][column] == 0.0
    # A foreign country, or an organisation, as main partner.
    for title in ("Việt Nam tăng xuất khẩu sang Nhật Bản", "Xuất nhập khẩu tăng sau 10 năm gia nhập WTO"):
        features = dict(topic_features(title, "Kim ngạch xuất khẩu tăng mạnh."))
        assert features["thuong-mai-dau-tu"][column] == 0.0, title


def test_a_visit_by_one_of_vietnams_leaders_is_read_against_topics_its_title_does_not_name() -> None:
    from searchapp.corpus.extract.topics import TOPIC_FEATURES, topic_features

    column = TOPIC_FEATURES.index("a Vietnamese leader in the title, another topic not named there")
    body = "Hai bên nhất trí thúc đẩy thương mại và đầu tư giữa hai nước, kim ngạch đạt 5 tỷ USD."
    visit = dict(topic_features("Chủ tịch nước Trần Đại Quang hội kiến Thủ tướng Nhật Bản", body))
    assert visit["thuong-mai-dau-tu"][column] == 1.0
    # The pair topic has a feature of its own for the leader in the title.
    assert visit["ngoai-giao-song-phuong"][column] == 0.0
    # Trade named in the title is part of what the visit is about.
    named = dict(topic_features("Thủ tướng Nguyễn Xuân Phúc thăm Nhật Bản: tập trung vào hợp tác thương mại", body))
    assert named["thuong-mai-dau-tu"][column] == 0.0
    # A foreign leader's visit is not Vietnam's.
    assert dict(topic_features("Thủ tướng Nhật Bản thăm Ấn Độ", body))["thuong-mai-dau-tu"][column] == 0.0
