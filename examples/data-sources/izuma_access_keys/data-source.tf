data "izuma_application" "web" {
  name = "web"
}

# The keys of one application (never their secrets).
data "izuma_access_keys" "web" {
  application_id = data.izuma_application.web.id
}

output "web_access_key_names" {
  value = [for key in data.izuma_access_keys.web.access_keys : key.name]
}
