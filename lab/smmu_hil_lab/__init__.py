"""smmu-hil lab controller: targets, workloads, scenarios and reports."""
