import Models

/// `LoadedModel.load` with its errors as `ToolError`s: unknown names usage (exit 2), bad files bad input (exit 3).
public func loadModel(_ reference: String, dataset: String, modelsDirectory: String,
                      conventions: InputConventions = InputConventions()) throws -> LoadedModel {
    do {
        return try LoadedModel.load(reference, dataset: dataset, modelsDirectory: modelsDirectory, conventions: conventions)
    } catch let error as ModelError {
        throw ToolError.usage(error.message)
    } catch {
        throw ToolError.badInput("\(error)")
    }
}
