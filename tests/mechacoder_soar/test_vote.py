from mechacoder_soar.domain import Attempt
from mechacoder_soar.vote import weighted_vote


def att(i, test, acc, error=None):
    return Attempt(id=i, task_id="t", code="", test_outputs=test, train_accuracy=acc, error=error)


def test_weights_by_train_accuracy_hand_computed():
    A, B, C = [[[1]]], [[[2]]], [[[3]]]
    attempts = [att("1", A, 0.0), att("2", A, 0.0), att("3", A, 0.0),  # 3 * (1 + 0) = 3
                att("4", B, 0.5),                                        # 1 + 500 = 501
                att("5", C, 1.0), att("6", C, 0.0),                      # 1001 + 1 = 1002
                att("7", [[[9]]], 1.0, error="boom"), att("8", [None], 1.0)]  # invalid: ignored
    groups = weighted_vote(attempts)
    assert [g.test_outputs for g in groups] == [C, B]
    assert [g.weight for g in groups] == [1002.0, 501.0]
    assert groups[0].attempt_ids == ["5", "6"]


def test_majority_when_no_program_is_right_on_train():
    A, B = [[[1]]], [[[2]]]
    groups = weighted_vote([att("1", A, 0), att("2", B, 0), att("3", B, 0)], top=1)
    assert groups[0].test_outputs == B


def test_an_answer_right_on_train_outranks_agreeing_near_misses():
    A, B, C = [[[1]]], [[[2]]], [[[3]]]
    near = [att(str(i), A, 2 / 3) for i in range(3)]                  # 3 * 667.7: outweighs one 1001
    groups = weighted_vote(near + [att("c", B, 1.0), att("x", C, 0.5)])
    assert [g.test_outputs for g in groups] == [B, A]                 # the right one first, then the weightiest
    assert groups[1].weight > groups[0].weight
