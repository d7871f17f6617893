data "izuma_policy_group" "developers" {
  name = "Developers"
}

resource "izuma_application" "example" {
  name        = "billing-service"
  description = "Calls the Izuma API from the billing service"
  groups      = [data.izuma_policy_group.developers.id]
}
