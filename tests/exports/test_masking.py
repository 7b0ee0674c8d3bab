from exports.masking import mask_account, mask_id, mask_phone


def test_mask_id_hides_birth_date():
    assert mask_id("620523198005120014") == "620523********0014"
    assert mask_id("62052319800512001412") == "620523**********1412"
    assert mask_id("12345") == "*****"
    assert mask_id(None) == ""


def test_mask_phone_and_account():
    assert mask_phone("13912345678") == "139****5678"
    assert mask_phone("1234") == "****"
    assert mask_account("6228 4800 1234 5678 901") == "***************8901"
    assert mask_account("") == ""
