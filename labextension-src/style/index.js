import './base.css';
import './notebooks.css';
import './history.css';
