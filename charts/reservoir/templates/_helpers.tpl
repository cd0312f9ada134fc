{{/* Names and labels: the one place they are made, reused by selectors. */}}

{{- define "reservoir.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "reservoir.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "reservoir.operatorName" -}}
{{- printf "%s-operator" (include "reservoir.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "reservoir.redisName" -}}
{{- printf "%s-redis" (include "reservoir.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "reservoir.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "reservoir.operatorName" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name: set the name of an existing ServiceAccount when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "reservoir.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "reservoir.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: reservoir
{{- end -}}

{{- define "reservoir.operatorSelectorLabels" -}}
app.kubernetes.io/name: {{ include "reservoir.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "reservoir.redisSelectorLabels" -}}
app.kubernetes.io/name: {{ include "reservoir.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: redis
{{- end -}}

{{- define "reservoir.operatorImage" -}}
{{- $img := .Values.operator.image -}}
{{- if $img.digest -}}
{{- printf "%s@%s" $img.repository $img.digest -}}
{{- else -}}
{{- printf "%s:%s" $img.repository (default .Chart.AppVersion $img.tag) -}}
{{- end -}}
{{- end -}}

{{/*
The namespaces the operator reconciles, one per line: operator.watchNamespaces, or the release
namespace when that is empty. Empty output means all namespaces (operator.watchAllNamespaces).
The RBAC (a Role per namespace) and RESERVOIR_OPERATOR_NAMESPACES both come from here, so the
operator never watches a namespace it has no Role in.
*/}}
{{- define "reservoir.watchedNamespaces" -}}
{{- if .Values.operator.watchAllNamespaces -}}
{{- if .Values.operator.watchNamespaces -}}
{{- fail "operator.watchNamespaces: leave it empty when operator.watchAllNamespaces is true (all namespaces are watched)" -}}
{{- end -}}
{{- else -}}
{{- join "\n" (default (list .Release.Namespace) .Values.operator.watchNamespaces) -}}
{{- end -}}
{{- end -}}

{{/*
The operator's permissions on the objects of the pools it reconciles, in one place for the
ClusterRole (all namespaces) and the per-namespace Roles. Each verb is one the operator's code
uses (docs/kubernetes.md, "Security model"); no wildcard anywhere.
*/}}
{{- define "reservoir.operatorRules" -}}
# Watch pools (informer: list+watch), read one before a patch, and patch spec.replicas (autoscaling).
- apiGroups: ["reservoir.dev"]
  resources: ["workerpools"]
  verbs: ["get", "list", "watch", "patch"]
# Write the computed status (JSON patch on the status subresource).
- apiGroups: ["reservoir.dev"]
  resources: ["workerpools/status"]
  verbs: ["get", "patch"]
# Worker pods carry an ownerReference with blockOwnerDeletion=true; where the
# OwnerReferencesPermissionEnforcement admission plugin is on, that needs update on the owner's finalizers.
- apiGroups: ["reservoir.dev"]
  resources: ["workerpools/finalizers"]
  verbs: ["update"]
# Keep the pool's worker pods: watch them (by label), create missing ones, annotate one being drained
# (reservoir.dev/drain, a patch: a restarted operator still knows it asked), delete exited ones.
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
# Events on a pool (kubectl describe wp/NAME): created, never read or updated.
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create"]
# get: the Redis password named by spec.queue.redis.passwordSecretRef and each pool's worker token (one get
# by name; no list/watch). create: the worker token Secret "<pool>-worker-token", once per pool.
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "create"]
{{- end -}}
