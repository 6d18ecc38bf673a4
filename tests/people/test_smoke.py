def test_a_city_admin_sees_a_created_person_masked(person_in, users, api):
    response = api(users.city_admin).get(f"/persons/{person_in.pk}")
    assert response.status_code == 200
    assert response.json()["id_number"] == "350582********" + person_in.id_number[-4:]
