import '../shared/styles.css';

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { LoginGate } from '../shared/LoginGate.js';
import { Console } from './Console.js';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <LoginGate page="console">
      <Console />
    </LoginGate>
  </StrictMode>,
);
