terraform {
  required_providers {
    izuma = {
      source = "izuma/izuma"
    }
  }
}

# Local mode: the embedded engine on a database file. No account, no network.
provider "izuma" {
  local {
    path         = "izuma.db" # relative to Terraform's working directory
    account_type = "free"     # "free" (4 applications) or "commercial" (25)
  }
}

# Remote mode: the real service. Set IZUMA_API_KEY (and IZUMA_API_HOST for another region)
# instead of writing the key into the configuration.
#
# provider "izuma" {
#   api_host = "https://api.us-east-1.mbedcloud.com"
#   api_key  = var.izuma_api_key
# }
