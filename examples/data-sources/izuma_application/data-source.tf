# Look an application up by name (or by id = "..."; exactly one of them).
data "izuma_application" "web" {
  name = "web"
}

output "web_application_id" {
  value = data.izuma_application.web.id
}
