// Azure resources for entra-archiver (deploy into a resource group):
//
//   - a StorageV2 account: TLS 1.2 or newer, HTTPS only, no anonymous blob
//     access, shared keys (account keys, SAS) off unless allowed;
//   - the archive container, optionally with a time-based immutability
//     (WORM) policy, created unlocked;
//   - lifecycle rules moving archived blobs to Cool, Cold and Archive;
//   - a user-assigned managed identity with "Storage Blob Data Contributor"
//     on the container only, and optionally a federated credential for an AKS
//     ServiceAccount (workload identity).
//
//   az deployment group create -g RG -f deploy/azure/main.bicep \
//     -p storageAccountName=contosoarchive aksOidcIssuerUrl=https://...
//
// No Bicep compiler was available when this file was written: every type,
// API version and property was checked by hand against the Azure resource
// reference (docs/deploy.md lists them). Run `az bicep build -f main.bicep`
// or a what-if deployment before relying on a change.

@description('Storage account name: 3-24 lower-case letters and digits, globally unique.')
@minLength(3)
@maxLength(24)
param storageAccountName string

@description('Region of every resource.')
param location string = resourceGroup().location

@description('Replication. An archive usually wants zone or geo redundancy.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
  'Standard_RAGRS'
  'Standard_RAGZRS'
])
param skuName string = 'Standard_ZRS'

@description('The archive container (storage.azblob.container).')
@minLength(3)
@maxLength(63)
param containerName string = 'entra-logs'

@description('Allow account keys and SAS tokens. Off: only Entra identities (managed or workload identity) can reach the data.')
param allowSharedKeyAccess bool = false

@description('Days every blob stays immutable after it is written (time-based retention, WORM). 0: no policy. The policy is created unlocked; lock it by hand once tested (docs/deploy.md), then deploy with 0 so the template leaves it alone.')
@minValue(0)
@maxValue(146000)
param immutabilityPeriodDays int = 0

@description('Days after which blobs move to Cool. 0: never.')
@minValue(0)
param coolAfterDays int = 30

@description('Days after which blobs move to Cold (still online). 0: never.')
@minValue(0)
param coldAfterDays int = 180

@description('Days after which blobs move to Archive (offline: verify and export need a rehydration first). 0: never.')
@minValue(0)
param archiveAfterDays int = 0

@description('Days after which blobs are deleted. 0: never. Must not be shorter than immutabilityPeriodDays.')
@minValue(0)
param deleteAfterDays int = 0

@description('Folders inside the container the lifecycle rules apply to, like contoso/ (one per tenant). Empty: the whole container, including the small _state/ and _locks/ blobs.')
param lifecyclePrefixes array = []

@description('Days deleted blobs and containers can be restored (soft delete). 0: off.')
@minValue(0)
@maxValue(365)
param softDeleteDays int = 14

@description('Name of the user-assigned managed identity the archiver runs as.')
param identityName string = 'entra-archiver'

@description('OIDC issuer URL of the AKS cluster (az aks show --query oidcIssuerProfile.issuerUrl). Empty: no federated credential.')
param aksOidcIssuerUrl string = ''

@description('Namespace of the archiver\'s ServiceAccount (workload identity).')
param kubernetesNamespace string = 'entra-archiver'

@description('Name of the archiver\'s ServiceAccount (workload identity).')
param kubernetesServiceAccount string = 'entra-archiver'

@description('Tags for every resource.')
param tags object = {}

// Built-in role "Storage Blob Data Contributor": read, write and lease blobs.
var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: storageAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: allowSharedKeyAccess
    defaultToOAuthAuthentication: !allowSharedKeyAccess
    allowCrossTenantReplication: false
  }
}

// Soft delete: a deleted blob or container can be restored for a while.
var softDelete = softDeleteDays > 0 ? {
  enabled: true
  days: softDeleteDays
} : {
  enabled: false
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-01-01' = {
  parent: storage
  name: 'default'
  properties: {
    deleteRetentionPolicy: softDelete
    containerDeleteRetentionPolicy: softDelete
  }
}

resource container 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' = {
  parent: blobService
  name: containerName
  properties: {
    publicAccess: 'None'
  }
}

// WORM: blobs can be created and read, never overwritten or deleted while
// the period runs. The archiver only creates blobs, but state type storage
// overwrites its _state/ blobs: use state type file with this policy.
resource immutability 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies@2025-01-01' = if (immutabilityPeriodDays > 0) {
  parent: container
  name: 'default'
  properties: {
    immutabilityPeriodSinceCreationInDays: immutabilityPeriodDays
    allowProtectedAppendWrites: false
  }
}

// One action per non-zero day count, all on the last modification (a blob is
// never modified after it is written).
var coolAction = coolAfterDays > 0 ? {
  tierToCool: {
    daysAfterModificationGreaterThan: coolAfterDays
  }
} : {}
var coldAction = coldAfterDays > 0 ? {
  tierToCold: {
    daysAfterModificationGreaterThan: coldAfterDays
  }
} : {}
var archiveAction = archiveAfterDays > 0 ? {
  tierToArchive: {
    daysAfterModificationGreaterThan: archiveAfterDays
  }
} : {}
var deleteAction = deleteAfterDays > 0 ? {
  delete: {
    daysAfterModificationGreaterThan: deleteAfterDays
  }
} : {}
var tierActions = union(coolAction, coldAction, archiveAction, deleteAction)

// prefixMatch starts with the container name.
var prefixMatch = empty(lifecyclePrefixes) ? [
  '${containerName}/'
] : map(lifecyclePrefixes, p => '${containerName}/${p}')

resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2025-01-01' = if (!empty(tierActions)) {
  parent: storage
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'entra-archiver-tiering'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
              ]
              prefixMatch: prefixMatch
            }
            actions: {
              baseBlob: tierActions
            }
          }
        }
      ]
    }
  }
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: identityName
  location: location
  tags: tags
}

// AKS workload identity: tokens of this ServiceAccount sign in as the
// identity.
resource federatedCredential 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2023-01-31' = if (!empty(aksOidcIssuerUrl)) {
  parent: identity
  name: 'kubernetes-${kubernetesNamespace}-${kubernetesServiceAccount}'
  properties: {
    issuer: aksOidcIssuerUrl
    subject: 'system:serviceaccount:${kubernetesNamespace}:${kubernetesServiceAccount}'
    audiences: [
      'api://AzureADTokenExchange'
    ]
  }
}

// Least privilege: data access on the archive container only, not the
// account (no key listing, no other containers).
resource blobDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(container.id, identity.id, storageBlobDataContributor)
  scope: container
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

@description('storage.azblob.account_url')
output accountUrl string = 'https://${storage.name}.blob.${environment().suffixes.storage}'

@description('storage.azblob.container')
output blobContainerName string = container.name

@description('Client ID of the managed identity: the ServiceAccount annotation azure.workload.identity/client-id, or auth.client_id with method managed-identity.')
output identityClientId string = identity.properties.clientId

@description('Object (principal) ID of the managed identity.')
output identityPrincipalId string = identity.properties.principalId

@description('Resource ID of the managed identity, to attach it to a VM or container app.')
output identityResourceId string = identity.id
