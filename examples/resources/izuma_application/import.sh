# An application is imported by its id.
terraform import izuma_application.example 0123456789abcdef0123456789abcdef
