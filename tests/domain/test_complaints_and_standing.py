"""Complaint damping and the credit score with its history."""

from datetime import datetime, timedelta, timezone

from qinglang.domain.complaints import ComplaintRef, effective_weights, weight_of
from qinglang.domain.sanctions import Strike
from qinglang.domain.standing import ClosureMark, CreditRules, GuidanceMark, Record, credit_at, credit_history

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)


def test_many_complaints_from_few_reporters_count_little():
    few = [ComplaintRef("r1", "a", "rumor")] * 40 + [ComplaintRef("r2", "a", "rumor")] * 40
    many = [ComplaintRef(f"r{i}", "b", "rumor") for i in range(8)]
    w = effective_weights(few + many)
    assert w[("a", "rumor")] == 2.0
    assert w[("b", "rumor")] == 8.0


def test_mass_reporters_targeting_many_accounts_are_damped():
    spree = [ComplaintRef("troll", f"acc{i}", "abuse") for i in range(12)]
    w = effective_weights(spree + [ComplaintRef("citizen", "acc0", "abuse")])
    assert w[("acc0", "abuse")] == 1.5  # citizen 1.0 + troll sqrt(3/12) = 0.5


def test_repeat_complaints_about_one_account_across_categories_are_damped():
    reporters = [f"r{i}" for i in range(10)]
    repeats = {r: 9 for r in reporters}
    assert weight_of(reporters, {}, 3, repeats) == round(10 / 3, 6)
    assert weight_of(reporters, {}, 3, None) == 10.0


def test_credit_score_history_explains_each_move():
    rules = CreditRules()
    rec = Record(
        strikes=[Strike(1, T0, T0 + timedelta(days=365), category="rumor"),
                 Strike(3, T0 + timedelta(days=30), T0 + timedelta(days=395), category="rumor")],
        guidance=[GuidanceMark("interview", T0 + timedelta(days=10)),
                  GuidanceMark("correction", T0 + timedelta(days=40), done_at=T0 + timedelta(days=50)),
                  GuidanceMark("recognition", T0 + timedelta(days=500))],
    )
    rec.strike_reversed_at[1] = T0 + timedelta(days=60)
    assert credit_at(rec, T0 + timedelta(days=1), rules) == 92
    assert credit_at(rec, T0 + timedelta(days=11), rules) == 89
    assert credit_at(rec, T0 + timedelta(days=31), rules) == 65
    assert credit_at(rec, T0 + timedelta(days=45), rules) == 60  # open correction order
    assert credit_at(rec, T0 + timedelta(days=61), rules) == 89  # strike reversed, correction done
    assert credit_at(rec, T0 + timedelta(days=400), rules) == 100
    assert credit_at(rec, T0 + timedelta(days=501), rules) == 100  # capped at 100
    hist = credit_history(rec, T0 + timedelta(days=600), rules)
    assert [p.score for p in hist][:3] == [92, 89, 65]
    assert any("reversed on appeal" in p.reason for p in hist)
    assert any("expired" in p.reason for p in hist)
    assert hist == sorted(hist, key=lambda p: p.at)


def test_a_closure_in_force_sets_credit_to_zero_until_reversed():
    rec = Record(closures=[ClosureMark(T0, reversed_at=T0 + timedelta(days=5))])
    assert credit_at(rec, T0 + timedelta(days=1)) == 0
    assert credit_at(rec, T0 + timedelta(days=6)) == 100
