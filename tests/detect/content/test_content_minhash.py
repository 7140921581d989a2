"""MinHash signatures: identical texts agree, near-duplicates collide in a band, unrelated texts rarely do."""

from __future__ import annotations

import numpy as np

from qinglang.detect.content.minhash import MinHasher


def sigs(texts, mh):
    joined = "".join(texts)
    cps = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    offs = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum([len(t) for t in texts], out=offs[1:])
    return mh.signatures(cps, offs)


def test_signatures_estimate_jaccard():
    mh = MinHasher(num_perm=64, k=2, bands=32)
    a = "吃完小龙虾再喝啤酒会中毒已经有好几个人进医院了"
    b = a + "大家注意"
    c = "今天天气很好我们去公园散步吧顺便买点水果回家"
    s = sigs([a, a, b, c, ""], mh)
    assert (s[0] == s[1]).all()
    est_ab = (s[0] == s[2]).mean()
    est_ac = (s[0] == s[3]).mean()
    assert est_ab > 0.6 and est_ac < 0.2
    keys = mh.band_keys(s)
    assert (keys[0] == keys[2]).any()
    assert not (keys[0] == keys[3]).any()
    assert (s[4] == np.iinfo(np.uint64).max).all()  # empty text: no shingles
