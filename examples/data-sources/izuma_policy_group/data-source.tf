data "izuma_policy_group" "administrators" {
  name = "Administrators"
}

resource "izuma_application" "admin_tool" {
  name   = "admin-tool"
  groups = [data.izuma_policy_group.administrators.id]
}
