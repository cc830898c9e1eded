@_exported import TensorCore
// Every layer call takes the caller's context; users of NN name it without importing Kernels.
@_exported import class Kernels.ExecutionContext
