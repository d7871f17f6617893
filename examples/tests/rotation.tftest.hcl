# `make test` runs this suite against local mode (terraform test, dev_overrides CLI config).

run "create" {
  assert {
    condition     = length(izuma_application.app.id) == 32
    error_message = "The application's id should be 32 hexadecimal characters."
  }
  assert {
    condition     = izuma_application.app.status == "ACTIVE"
    error_message = "An application should default to ACTIVE."
  }
  assert {
    condition     = contains(izuma_application.app.groups, data.izuma_policy_group.developers.id)
    error_message = "The application should be in the Developers group."
  }
  assert {
    condition     = izuma_access_key.key.application_id == izuma_application.app.id
    error_message = "The access key should belong to the application."
  }
  assert {
    condition     = startswith(nonsensitive(izuma_access_key.key.secret), "ak_")
    error_message = "The access key's secret should start with ak_."
  }
}

run "update_in_place" {
  variables {
    status = "INACTIVE"
  }
  assert {
    condition     = izuma_application.app.status == "INACTIVE"
    error_message = "The application's status should update in place."
  }
  assert {
    condition     = izuma_access_key.key.id == run.create.access_key_id
    error_message = "Changing the application must not replace its access key."
  }
}

run "rotate" {
  variables {
    status   = "INACTIVE"
    rotation = "2"
  }
  assert {
    condition     = izuma_access_key.key.id != run.create.access_key_id
    error_message = "Changing rotation_triggers should replace the access key (a new id)."
  }
  assert {
    condition     = output.secret_sha256 != run.create.secret_sha256
    error_message = "Changing rotation_triggers should issue a new secret."
  }
}
