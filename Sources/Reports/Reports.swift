/// Placeholder so the target builds until the report renderer lands.
import Metrics
