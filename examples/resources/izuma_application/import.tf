# Or, from Terraform 1.5, with an import block (then `terraform plan` shows the import).
import {
  to = izuma_application.example
  id = "0123456789abcdef0123456789abcdef"
}
