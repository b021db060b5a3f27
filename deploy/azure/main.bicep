// Azure resources for entra-archiver (deploy into a resource group):
//
//   - a StorageV2 account: TLS 1.2 or newer, HTTPS only, no anonymous blob
//     access, shared keys (account keys, SAS) off unless allowed, optionally
//     reachable only from named networks;
//   - blob versioning, blob and container soft delete;
//   - the archive container, optionally with a time-based retention
//     (WORM) policy, created unlocked, and optionally a second, mutable
//     container for the job state and leases;
//   - lifecycle rules moving archived blobs to Cool, Cold and Archive, and
//     removing old blob versions;
//   - optionally, diagnostic settings sending the blob service's logs (who
//     read, wrote or deleted what) to a Log Analytics workspace;
//   - a user-assigned managed identity that may read, write and lease blobs
//     in those containers but not delete them (a custom role), and
//     optionally a federated credential for an AKS ServiceAccount (workload
//     identity).
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

@description('A second, mutable container for the job state and the tenant leases (state.container), so the archive container can carry a retention policy. Empty: none (state beside the archive, or state type file).')
param stateContainerName string = ''

@description('Allow account keys and SAS tokens. Off: only Entra identities (managed or workload identity) can reach the data.')
param allowSharedKeyAccess bool = false

@description('Public network access to the account. Disabled: only through private endpoints (create them separately).')
@allowed([
  'Enabled'
  'Disabled'
])
param publicNetworkAccess string = 'Enabled'

@description('Public IP addresses or CIDR ranges (like 203.0.113.0/24) that may reach the account. With this or allowedSubnetIds set, every other network is refused.')
param allowedIpRanges array = []

@description('Resource IDs of virtual network subnets (with the Microsoft.Storage service endpoint) that may reach the account: the archiver\'s and the readers\'.')
param allowedSubnetIds array = []

@description('Keep a version of every blob that is overwritten or deleted, so a change can be undone.')
param blobVersioning bool = true

@description('Days previous blob versions are kept before the lifecycle rule deletes them. 0: kept until deleted by hand.')
@minValue(0)
param versionRetentionDays int = 30

@description('Days every blob of the archive container stays immutable after it is written (time-based retention, WORM). 0: no policy. The policy is created unlocked; lock it by hand once tested (docs/deploy.md), then deploy with 0 so the template leaves it alone. Keep the state elsewhere (stateContainerName, or state type file).')
@minValue(0)
@maxValue(146000)
param archiveRetentionDays int = 0

@description('Days after which blobs move to Cool. 0: never.')
@minValue(0)
param coolAfterDays int = 30

@description('Days after which blobs move to Cold (still online). 0: never.')
@minValue(0)
param coldAfterDays int = 180

@description('Days after which blobs move to Archive (offline: verify and export need a rehydration first). 0: never.')
@minValue(0)
param archiveAfterDays int = 0

@description('Days after which blobs are deleted. 0: never. Must not be shorter than archiveRetentionDays.')
@minValue(0)
param deleteAfterDays int = 0

@description('Folders inside the container the lifecycle rules apply to, like contoso/ (one per tenant). Empty: the whole container, including the small _state/ and _locks/ blobs.')
param lifecyclePrefixes array = []

@description('Days deleted blobs and containers can be restored (soft delete). 0: off.')
@minValue(0)
@maxValue(365)
param softDeleteDays int = 14

@description('Resource ID of a Log Analytics workspace for the blob service\'s logs (StorageRead, StorageWrite, StorageDelete) and metrics. Empty: no diagnostic settings.')
param logAnalyticsWorkspaceId string = ''

@description('Name of the user-assigned managed identity the archiver runs as.')
param identityName string = 'entra-archiver'

@description('Give the identity a custom role that reads, writes and leases blobs but cannot delete them (needs permission to create role definitions: Owner or User Access Administrator). false: the built-in Storage Blob Data Contributor, which can delete.')
param roleWithoutDelete bool = true

@description('OIDC issuer URL of the AKS cluster (az aks show --query oidcIssuerProfile.issuerUrl). Empty: no federated credential.')
param aksOidcIssuerUrl string = ''

@description('Namespace of the archiver\'s ServiceAccount (workload identity).')
param kubernetesNamespace string = 'entra-archiver'

@description('Name of the archiver\'s ServiceAccount (workload identity).')
param kubernetesServiceAccount string = 'entra-archiver'

@description('Tags for every resource.')
param tags object = {}

// Built-in role "Storage Blob Data Contributor": read, write, lease and
// delete blobs.
var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

// What the archiver does, and nothing more: read the container's properties
// and create it when missing; read, list, write (create-only uploads, state
// documents) and lease blobs (a lease is a write). No delete: only the
// probe of `config check --online` deletes, and it says so when it cannot.
var archiverActions = [
  'Microsoft.Storage/storageAccounts/blobServices/containers/read'
  'Microsoft.Storage/storageAccounts/blobServices/containers/write'
]
var archiverDataActions = [
  'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'
  'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write'
  'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action'
]

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
    publicNetworkAccess: publicNetworkAccess
    // With no network named, any network that reaches the account still
    // needs an Entra identity (or a key, if allowed); naming one refuses
    // the rest, Azure's trusted services included.
    networkAcls: {
      defaultAction: empty(allowedIpRanges) && empty(allowedSubnetIds) ? 'Allow' : 'Deny'
      bypass: 'None'
      ipRules: map(allowedIpRanges, ip => {
        value: ip
        action: 'Allow'
      })
      virtualNetworkRules: map(allowedSubnetIds, id => {
        id: id
        action: 'Allow'
      })
    }
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
    isVersioningEnabled: blobVersioning
  }
}

resource container 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' = {
  parent: blobService
  name: containerName
  properties: {
    publicAccess: 'None'
  }
}

// The job state and the tenant leases, overwritten on every run: mutable,
// so the archive container can be WORM.
resource stateContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' = if (!empty(stateContainerName)) {
  parent: blobService
  name: empty(stateContainerName) ? 'unused' : stateContainerName
  properties: {
    publicAccess: 'None'
  }
}

// WORM: blobs can be created and read, never overwritten or deleted while
// the period runs. The archiver only creates blobs in the archive, but
// state type storage overwrites its _state/ blobs: keep the state in
// stateContainerName (state.container) or a file with this policy.
resource immutability 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies@2025-01-01' = if (archiveRetentionDays > 0) {
  parent: container
  name: 'default'
  properties: {
    immutabilityPeriodSinceCreationInDays: archiveRetentionDays
    allowProtectedAppendWrites: false
  }
}

// Who read, wrote or deleted which blob, kept where the archive's writers
// cannot change it: reading personal data leaves a trace.
resource blobDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = if (!empty(logAnalyticsWorkspaceId)) {
  name: 'entra-archiver-audit'
  scope: blobService
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      {
        category: 'StorageRead'
        enabled: true
      }
      {
        category: 'StorageWrite'
        enabled: true
      }
      {
        category: 'StorageDelete'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'Transaction'
        enabled: true
      }
    ]
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
var pruneVersions = blobVersioning && versionRetentionDays > 0

// prefixMatch starts with the container name.
var prefixMatch = empty(lifecyclePrefixes) ? [
  '${containerName}/'
] : map(lifecyclePrefixes, p => '${containerName}/${p}')

var tieringRules = empty(tierActions) ? [] : [
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

// Previous versions (of the state documents, rewritten on every run, and
// of anything overwritten or deleted) are kept versionRetentionDays.
var versionRules = !pruneVersions ? [] : [
  {
    name: 'entra-archiver-versions'
    enabled: true
    type: 'Lifecycle'
    definition: {
      filters: {
        blobTypes: [
          'blockBlob'
        ]
      }
      actions: {
        version: {
          delete: {
            daysAfterCreationGreaterThan: versionRetentionDays
          }
        }
      }
    }
  }
]

resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2025-01-01' = if (!empty(tierActions) || pruneVersions) {
  parent: storage
  name: 'default'
  properties: {
    policy: {
      rules: concat(tieringRules, versionRules)
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

// The built-in Storage Blob Data Contributor minus delete. Role definitions
// are tenant-wide names, so the resource group is part of the name.
resource writerRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (roleWithoutDelete) {
  name: guid(resourceGroup().id, 'entra-archiver-blob-writer')
  properties: {
    roleName: 'entra-archiver blob writer (${resourceGroup().name})'
    description: 'Read, list, write and lease blobs of the entra-archiver containers; no delete.'
    type: 'CustomRole'
    assignableScopes: [
      resourceGroup().id
    ]
    permissions: [
      {
        actions: archiverActions
        notActions: []
        dataActions: archiverDataActions
        notDataActions: []
      }
    ]
  }
}

var archiverRoleId = roleWithoutDelete ? writerRole.id : subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)

// Least privilege: data access on the archiver's containers only, not the
// account (no key listing, no other containers).
resource blobDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(container.id, identity.id, roleWithoutDelete ? 'entra-archiver-blob-writer' : storageBlobDataContributor)
  scope: container
  properties: {
    roleDefinitionId: archiverRoleId
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource stateDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(stateContainerName)) {
  name: guid(resourceGroup().id, stateContainerName, identity.id, roleWithoutDelete ? 'entra-archiver-blob-writer' : storageBlobDataContributor)
  scope: stateContainer
  properties: {
    roleDefinitionId: archiverRoleId
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

@description('storage.azblob.account_url')
output accountUrl string = 'https://${storage.name}.blob.${environment().suffixes.storage}'

@description('storage.azblob.container')
output blobContainerName string = container.name

@description('state.container (empty when stateContainerName is)')
output stateBlobContainerName string = stateContainerName

@description('Client ID of the managed identity: the ServiceAccount annotation azure.workload.identity/client-id, or auth.client_id with method managed-identity.')
output identityClientId string = identity.properties.clientId

@description('Object (principal) ID of the managed identity.')
output identityPrincipalId string = identity.properties.principalId

@description('Resource ID of the managed identity, to attach it to a VM or container app.')
output identityResourceId string = identity.id
