import { noaTsup } from '../../config/tsup.preset.ts'

export default noaTsup()
