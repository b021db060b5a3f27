#!/usr/bin/env bash
# Registers the Entra application entra-archiver reads Microsoft Graph with,
# in the tenant `az` is signed in to (az login --tenant ...), as a
# Privileged Role Administrator or Global Administrator: only these roles may
# grant Microsoft Graph application permissions.
#
#   1. an app registration (single tenant, or multi-tenant with MULTI_TENANT=1
#      for archiving several tenants) and its service principal;
#   2. the application permissions AuditLog.Read.All and Directory.Read.All on
#      Microsoft Graph (both are needed for sign-ins), and admin consent for
#      them in this tenant;
#   3. optionally a federated credential for an AKS ServiceAccount (workload
#      identity: no secret), with AKS_OIDC_ISSUER set;
#   4. optionally a client secret, written to SECRET_FILE (mode 0600) and
#      never printed.
#
# Running it again reuses what exists. Settings, from the environment:
#
#   APP_NAME             display name (default entra-archiver)
#   MULTI_TENANT         1: other tenants may consent to the app (default 0)
#   AKS_OIDC_ISSUER      az aks show -g RG -n CLUSTER --query oidcIssuerProfile.issuerUrl -o tsv
#   K8S_NAMESPACE        the ServiceAccount's namespace (default entra-archiver)
#   K8S_SERVICE_ACCOUNT  the ServiceAccount (default entra-archiver)
#   SECRET_FILE          create a client secret and write it here
#   SECRET_YEARS         its lifetime in years (default 1)
#
# Example: AKS_OIDC_ISSUER=https://... ./deploy/azure/app-registration.sh
set -euo pipefail

app_name="${APP_NAME:-entra-archiver}"
multi_tenant="${MULTI_TENANT:-0}"
oidc_issuer="${AKS_OIDC_ISSUER:-}"
namespace="${K8S_NAMESPACE:-entra-archiver}"
service_account="${K8S_SERVICE_ACCOUNT:-entra-archiver}"
secret_file="${SECRET_FILE:-}"
secret_years="${SECRET_YEARS:-1}"

# Microsoft Graph's well-known application ID, the same in every tenant.
graph_app_id=00000003-0000-0000-c000-000000000000
permissions=(AuditLog.Read.All Directory.Read.All)

say() { printf '%s\n' "$*" >&2; }

command -v az >/dev/null || { say "az (Azure CLI) is not installed"; exit 1; }
tenant_id=$(az account show --query tenantId -o tsv)
# Graph's root for this cloud (https://graph.microsoft.com/ in the public one).
graph_url=$(az cloud show --query endpoints.microsoftGraphResourceId -o tsv)
graph_url="${graph_url%/}"

audience=AzureADMyOrg
[ "$multi_tenant" = 1 ] && audience=AzureADMultipleOrgs

app_id=$(az ad app list --display-name "$app_name" --query "[0].appId" -o tsv)
if [ -z "$app_id" ]; then
  say "creating app registration $app_name ($audience)"
  app_id=$(az ad app create --display-name "$app_name" --sign-in-audience "$audience" --query appId -o tsv)
else
  say "using app registration $app_name ($app_id)"
fi

sp_id=$(az ad sp list --filter "appId eq '$app_id'" --query "[0].id" -o tsv)
if [ -z "$sp_id" ]; then
  say "creating its service principal"
  sp_id=$(az ad sp create --id "$app_id" --query id -o tsv)
fi

graph_sp_id=$(az ad sp show --id "$graph_app_id" --query id -o tsv)
for permission in "${permissions[@]}"; do
  role_id=$(az ad sp show --id "$graph_app_id" --query "appRoles[?value=='$permission'] | [0].id" -o tsv)
  if [ -z "$role_id" ]; then
    say "Microsoft Graph has no application permission $permission"
    exit 1
  fi
  # Record the permission on the app (what the portal shows as configured).
  az ad app permission add --id "$app_id" --api "$graph_app_id" --api-permissions "$role_id=Role" --only-show-errors
  # Admin consent for an application permission is this app role assignment.
  granted=$(az rest --method GET --uri "$graph_url/v1.0/servicePrincipals/$sp_id/appRoleAssignments" \
    --query "length(value[?appRoleId=='$role_id'])" -o tsv)
  if [ "$granted" = 0 ]; then
    say "granting $permission (admin consent)"
    az rest --method POST --uri "$graph_url/v1.0/servicePrincipals/$sp_id/appRoleAssignments" \
      --headers Content-Type=application/json \
      --body "{\"principalId\":\"$sp_id\",\"resourceId\":\"$graph_sp_id\",\"appRoleId\":\"$role_id\"}" \
      --only-show-errors >/dev/null
  else
    say "$permission already granted"
  fi
done

if [ -n "$oidc_issuer" ]; then
  fic_name="kubernetes-$namespace-$service_account"
  exists=$(az ad app federated-credential list --id "$app_id" --query "length([?name=='$fic_name'])" -o tsv)
  if [ "$exists" = 0 ]; then
    say "adding federated credential for system:serviceaccount:$namespace:$service_account"
    az ad app federated-credential create --id "$app_id" --only-show-errors --parameters \
      "{\"name\":\"$fic_name\",\"issuer\":\"$oidc_issuer\",\"subject\":\"system:serviceaccount:$namespace:$service_account\",\"audiences\":[\"api://AzureADTokenExchange\"]}" \
      >/dev/null
  else
    say "federated credential $fic_name already exists"
  fi
fi

if [ -n "$secret_file" ]; then
  say "creating a client secret valid for $secret_years year(s) in $secret_file"
  (
    umask 077
    az ad app credential reset --id "$app_id" --append --display-name entra-archiver \
      --years "$secret_years" --query password -o tsv --only-show-errors >"$secret_file"
  )
fi

say ""
say "tenant_id: $tenant_id"
say "client_id: $app_id"
if [ "$multi_tenant" = 1 ]; then
  say "An administrator of each other tenant grants consent at"
  say "  https://login.microsoftonline.com/<their-tenant-id>/adminconsent?client_id=$app_id"
fi
