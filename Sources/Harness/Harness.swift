// The library `robust` stands on: its workflows (evaluate, train, gate, benchmark, privacy audit) and the types the
// CLI names in its flags and output. The CLI imports this module alone.
@_exported import Attacks
@_exported import Auditing
@_exported import Benchmarking
@_exported import Evaluating
@_exported import Files
@_exported import Gating
@_exported import Kernels
@_exported import Metrics
@_exported import Models
@_exported import Reports
@_exported import Training
@_exported import Workflow
