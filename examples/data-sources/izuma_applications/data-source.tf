# Every inactive application of the account.
data "izuma_applications" "inactive" {
  status = "INACTIVE"
}

output "inactive_application_names" {
  value = [for app in data.izuma_applications.inactive.applications : app.name]
}
