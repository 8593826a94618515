module "svc" {
  source    = "./modules/svc"
  role_name = "svc-role"
  table     = "events"
}
